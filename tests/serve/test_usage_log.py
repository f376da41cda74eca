"""The usage log: files sealed when a process is done with them, and never written again."""

import json
import stat
from concurrent.futures import ThreadPoolExecutor

from opml_core.serve import usage_log
from opml_core.serve.usage_log import UsageLog, is_sealed


def files(root):
    return sorted(root.glob("dep/date=*/hour=*/*.jsonl"))  # part-<pid>-<start>: in writing order


def test_a_file_past_the_rotation_size_is_sealed_and_the_process_goes_on_in_a_new_one(tmp_path,
                                                                                      monkeypatch):
    monkeypatch.setattr(usage_log, "ROTATE_BYTES", 200)
    log = UsageLog(tmp_path, "dep")
    for number in range(6):
        log.write({"request_id": f"r{number}", "padding": "x" * 80})
    written = files(tmp_path)
    assert len(written) == 3  # about two 100-byte records per file
    *finished, live = written
    assert all(is_sealed(p.stat().st_mode) and stat.S_IMODE(p.stat().st_mode) == 0o400 for p in finished)
    assert stat.S_IMODE(live.stat().st_mode) == 0o600 and not is_sealed(live.stat().st_mode)
    ids = [json.loads(line)["request_id"] for p in written for line in p.read_text().splitlines()]
    assert ids == [f"r{n}" for n in range(6)]  # nothing lost or written twice across files
    log.close()
    assert is_sealed(live.stat().st_mode)


def test_a_process_never_reopens_a_file_it_sealed(tmp_path, monkeypatch):
    log = UsageLog(tmp_path, "dep")
    log.write({"request_id": "first"})
    first = files(tmp_path)[0]
    log._hour = None  # as when the hour changes, or the clock goes back to the same hour
    log.write({"request_id": "second"})
    assert is_sealed(first.stat().st_mode) and first.read_text().count("\n") == 1
    assert len(files(tmp_path)) == 2
    log.close()
    assert all(is_sealed(p.stat().st_mode) for p in files(tmp_path))


def test_threads_writing_across_rotations_lose_nothing_and_split_no_line(tmp_path, monkeypatch):
    monkeypatch.setattr(usage_log, "ROTATE_BYTES", 400)  # a Spark model's scoring threads
    log = UsageLog(tmp_path, "dep")

    def write(thread):
        for number in range(300):
            log.write({"request_id": f"t{thread}-{number}", "padding": "x" * 40})

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    log.close()
    lines = [line for p in files(tmp_path) for line in p.read_text().splitlines()]
    assert sorted(json.loads(line)["request_id"] for line in lines) == sorted(
        f"t{t}-{n}" for t in range(4) for n in range(300))
    assert all(is_sealed(p.stat().st_mode) for p in files(tmp_path))
