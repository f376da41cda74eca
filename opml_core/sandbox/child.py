"""The child side of ``opml_core.sandbox``: load an untrusted MLflow model and score its example.

Run as ``python -I -B child.py <model dir> <scratch dir> <cpu s> <memory MB, 0: none>`` by the
sandbox, never run by the app (which imports it only to ask whether Landlock is there): it
imports nothing from opml (``-I`` keeps the project off ``sys.path``). Before touching the
model it sets its own CPU, file-size and memory limits and confines itself with Landlock where
the kernel has it: from then on this process and its children may read the system, Python's
own files and the model, and write only in the scratch folder and to /dev/null, /dev/zero and
/dev/full (not /dev/shm). The outcome is one JSON file in the scratch folder; for a Spark
pipeline it holds the input example's rows and the probabilities Spark gave them (the app
compares its compiled scorer).
"""

import ctypes
import json
import os
import resource
import sys
from pathlib import Path

RESULT = "result.json"
MAX_EXAMPLE_ROWS = 2_000  # rows of the input example scored by Spark for the parity check
FILE_LIMIT = 1 << 30  # no file the model writes may exceed 1 GB
# Landlock's file-system rights (linux/landlock.h); ABI 1 has bits 0-12, ABI 3 adds TRUNCATE.
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1, 2, 4, 8
ALL_ABI1 = (1 << 13) - 1
TRUNCATE = 1 << 14
READ = EXECUTE | READ_FILE | READ_DIR
WRITABLE_DEVICES = ("/dev/null", "/dev/zero", "/dev/full")  # the rest of /dev (/dev/shm too) read-only
SYSTEM = ("/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/etc", "/opt", "/proc", "/sys")
CREATE_RULESET, ADD_RULE, RESTRICT_SELF, PR_SET_NO_NEW_PRIVS = 444, 445, 446, 38


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 when it has none (nothing is restricted by asking)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return max(int(libc.syscall(CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))), 0)


def confine(readable: list[str], writable: list[str]) -> str | None:
    """Restrict this process with Landlock; the reason it could not, or None when it did."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    abi = landlock_abi()
    if abi < 1:
        return f"Landlock is not available ({os.strerror(ctypes.get_errno())})"
    handled = ALL_ABI1 | (TRUNCATE if abi >= 3 else 0)
    attr = ctypes.c_uint64(handled)
    ruleset = libc.syscall(CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(8), ctypes.c_uint32(0))
    if ruleset < 0:
        return f"Landlock refused a ruleset ({os.strerror(ctypes.get_errno())})"
    try:
        for paths, access in ((readable, READ), (writable, handled)):
            for path in paths:
                if not os.path.exists(path):
                    continue
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                try:
                    rights = access if os.path.isdir(path) else \
                        access & (READ_FILE | EXECUTE | WRITE_FILE | TRUNCATE)  # a file's own
                    rule = _PathBeneath(rights, fd)
                    if libc.syscall(ADD_RULE, ruleset, 1, ctypes.byref(rule), 0) < 0:
                        return f"Landlock refused a rule for {path} ({os.strerror(ctypes.get_errno())})"
                finally:
                    os.close(fd)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
                libc.syscall(RESTRICT_SELF, ruleset, 0) < 0:
            return f"Landlock could not be applied ({os.strerror(ctypes.get_errno())})"
    finally:
        os.close(ruleset)
    return None


def python_paths() -> list[str]:
    """Where this interpreter reads its code: its prefixes and every path entry (real paths)."""
    found = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    found |= {os.path.realpath(p) for p in sys.path if p and os.path.isdir(p)}
    java = os.environ.get("JAVA_HOME")
    if java:
        found.add(os.path.realpath(java))
    return sorted(found)


def check(model_dir: str) -> dict:
    """Load the model and score its own input example; say which step failed and why."""
    import mlflow.pyfunc
    from mlflow.models import Model

    step = "load"
    try:
        loaded = mlflow.pyfunc.load_model(model_dir)
        step = "predict"
        example = Model.load(os.path.join(model_dir, "MLmodel")).load_input_example(model_dir)
        if example is not None:
            loaded.predict(example)
        found = {"ok": True, "step": step, "example": example is not None}
        if example is not None and "spark" in Model.load(os.path.join(model_dir, "MLmodel")).flavors:
            step = "probabilities"
            found.update(spark_probabilities(model_dir, example))
        return found
    except MemoryError:
        return {"ok": False, "step": "memory", "error": "it needed more memory than it may use"}
    except BaseException as exc:  # the model's own code may raise anything
        lines = str(exc).strip().splitlines()
        return {"ok": False, "step": step,
                "error": (lines[0][:300] if lines else type(exc).__name__)}


def spark_probabilities(model_dir: str, example) -> dict:
    """The example's rows (as JSON-able records) and Spark's P(second class) for each, so the app
    can check its compiled scorer against Spark on this very model; nothing when the pipeline
    gives no probabilities."""
    import mlflow.spark
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import SparkSession

    rows = example.head(MAX_EXAMPLE_ROWS)
    model = mlflow.spark.load_model(model_dir)
    scored = model.transform(SparkSession.builder.getOrCreate().createDataFrame(rows))
    if "probability" not in scored.columns:
        return {}
    values = [r[0] for r in scored.select(vector_to_array("probability")[1]).collect()]
    records = json.loads(rows.to_json(orient="records"))  # NaN becomes null, as a client sends it
    return {"records": records, "probabilities": values}


def limit(cpu_s: int, memory_mb: int) -> None:
    """CPU, file-size and core limits; an address-space limit unless 0 (a JVM cannot run under
    one: the parent bounds the resident memory of every process, Spark or not)."""
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_mb:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))


def main() -> None:
    model_dir, scratch = (os.path.realpath(p) for p in sys.argv[1:3])
    limit(int(sys.argv[3]), int(sys.argv[4]))
    reason = confine(readable=[*SYSTEM, "/dev", *python_paths(), model_dir],
                     writable=[scratch, *WRITABLE_DEVICES])
    outcome = {**check(model_dir), "pid": os.getpid(), "confined": reason is None,
               "not_confined_because": reason}
    Path(scratch, RESULT).write_text(json.dumps(outcome))


if __name__ == "__main__":
    main()
