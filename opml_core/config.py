"""Settings: the one reader of the environment and of ``.streamlit/secrets.toml``.

Every value comes from an ``OPML_*`` environment variable, else the ``[opml]`` table of the
secrets file, else a default that works on a fresh machine (local Spark, SQLite MLflow, local
endpoint, state in ``./.opml``). ``load_settings()`` turns a bad value into a ``ConfigError``
that names the variable and says what it accepts. ``Workspace`` knows where each kind of state
lives inside the workspace directory.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from opml_core.errors import ConfigError

ENV_PREFIX = "OPML_"
SECRETS_FILE = Path(".streamlit/secrets.toml")
SECRETS_TABLE = "opml"
SPARK_MASTER_PATTERN = re.compile(
    r"^(local(\[(\*|[1-9][0-9]*)(,[0-9]+)?\])?|spark://\S+|sc://\S+|yarn|k8s://\S+)$"
)
TRACKING_URI_PATTERN = re.compile(r"^(sqlite:///\S+|file:\S+|https?://\S+|databricks\S*|azureml://\S+|postgresql\S*|mysql\S*|/\S+)$")
WAREHOUSE_URI_PATTERN = re.compile(r"^[a-z][a-z0-9+.\-]*:/\S+$")
MODEL_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
GUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
TENANT_PATTERN = re.compile(r"^([0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$")
RESOURCE_GROUP_PATTERN = re.compile(r"^[-\w._()]{1,90}$")
AZURE_WORKSPACE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,32}$")


class _SecretsSource(PydanticBaseSettingsSource):
    """Reads the ``[opml]`` table of ``.streamlit/secrets.toml`` when the file exists."""

    def __init__(self, settings_cls, path: Path):
        super().__init__(settings_cls)
        self._values: dict = {}
        if path.is_file():
            try:
                self._values = tomllib.loads(path.read_text("utf-8")).get(SECRETS_TABLE, {})
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(
                    f"{path} is not valid TOML ({exc}); fix it or remove it to use the defaults."
                ) from exc

    def get_field_value(self, field, field_name):
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict:
        return {k: v for k, v in self._values.items() if k in self.settings_cls.model_fields}


class Settings(BaseSettings):
    """opml's settings; each field is the environment variable ``OPML_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    home: Path = Field(Path(".opml"), description="Workspace directory holding all state.")
    spark_master: str = Field("local[*]", description="local[*], spark://host:7077 or sc://host:15002")
    spark_driver_memory: str = Field("2g", description="Driver memory for local Spark, e.g. 2g.")
    spark_shuffle_partitions: int = Field(8, ge=1, le=10_000)
    spark_ui: bool = Field(False, description="Serve the Spark UI on port 4040.")
    warehouse_uri: str | None = Field(None, description="Where Spark writes every table and model, "
                                      "as a URI Spark and the app can both reach (file:///…, "
                                      "hdfs://…, s3a://…, abfss://…). Default: the workspace's warehouse/.")
    mlflow_tracking_uri: str | None = Field(None, description="Default: SQLite in the workspace.")
    mlflow_experiment: str = Field("opml")
    model_name: str = Field("opml-model", description="Default registered model name.")
    max_upload_mb: int = Field(200, ge=1, le=100_000, description="Largest accepted upload.")
    serve_host: str = Field("127.0.0.1", description="Address local endpoints listen on.")
    deploy_port_start: int = Field(5101, ge=1024, le=65000, description="First port for endpoints.")
    max_payload_mb: float = Field(5.0, gt=0, le=1024, description="Largest scoring request body.")
    max_rows_per_request: int = Field(10_000, ge=1, le=1_000_000)
    serve_workers: int = Field(2, ge=1, le=64, description="Workers scoring large requests "
                               "beside each endpoint's event loop (processes; threads for Spark).")
    serve_queue: int = Field(32, ge=0, le=100_000, description="Large requests that may wait for "
                             "a worker; one more gets 503 with Retry-After.")
    serve_max_connections: int = Field(256, ge=1, le=100_000, description="Open connections "
                                       "an endpoint accepts; past them it answers 503.")
    serve_body_timeout_s: float = Field(10.0, gt=0, le=3600, description="Time to send a body.")
    serve_header_timeout_s: float = Field(10.0, gt=0, le=3600, description="Time to send headers.")
    serve_inline_bytes: int = Field(16_384, ge=0, le=1 << 30, description="Bodies up to this size "
                                    "are scored on the event loop (the one-row fast path).")
    submission_timeout_s: float = Field(240.0, gt=0, le=3600, description="Time a submitted "
                                        "model has to load and score its example, in its own process.")
    submission_memory_mb: int = Field(2048, ge=256, le=1_000_000, description="Memory for that process.")
    serve_open_docs: bool = Field(False, description="Serve /docs and /openapi.json without a key.")
    # Sharing the app: sign-in (Streamlit's OIDC login, [auth] in secrets.toml) and roles
    team_mode: bool = Field(False, description="Require a sign-in and give roles (see README).")
    operators: list[str] = Field(default_factory=list, description="Accounts or @domains: operators.")
    builders: list[str] = Field(default_factory=list, description="Accounts or @domains: builders.")
    viewers: list[str] = Field(default_factory=list, description="Accounts or @domains: viewers.")
    # Azure ML: the workspace (or a config.json), and a service principal or DefaultAzureCredential
    azure_subscription_id: str | None = Field(None, description="Azure subscription id (a GUID).")
    azure_resource_group: str | None = Field(None, description="Resource group of the workspace.")
    azure_workspace: str | None = Field(None, description="Azure ML workspace name.")
    azure_config: Path | None = Field(None, description="A workspace config.json instead.")
    azure_tenant_id: str | None = Field(None, description="Entra ID tenant of the principal.")
    azure_client_id: str | None = Field(None, description="Service principal (app) id.")
    azure_client_secret: SecretStr | None = Field(None, description="Service principal secret.")
    azureml_local_env: Path | None = Field(
        None, description="Python environment serving azureml-local (default: built in the workspace).")

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings,
                                   dotenv_settings, file_secret_settings):
        return init_settings, env_settings, _SecretsSource(settings_cls, SECRETS_FILE)

    @field_validator("spark_master")
    @classmethod
    def _check_master(cls, value: str) -> str:
        if not SPARK_MASTER_PATTERN.match(value):
            raise ValueError("use local[*], local[N], spark://host:7077, sc://host:15002, yarn or k8s://…")
        return value

    @field_validator("warehouse_uri")
    @classmethod
    def _check_warehouse_uri(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if value.startswith("/"):
            return Path(value).as_uri()
        if not WAREHOUSE_URI_PATTERN.match(value):
            raise ValueError("use a URI such as file:///data/warehouse, hdfs://host/path or "
                             "abfss://container@account.dfs.core.windows.net/path")
        return value.rstrip("/")

    @field_validator("spark_driver_memory")
    @classmethod
    def _check_memory(cls, value: str) -> str:
        if not re.fullmatch(r"[1-9][0-9]*[kmgt]", value.lower()):
            raise ValueError("use a size such as 2g or 4096m")
        return value.lower()

    @field_validator("mlflow_tracking_uri")
    @classmethod
    def _check_tracking_uri(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not TRACKING_URI_PATTERN.match(value):
            raise ValueError("use sqlite:///path/mlflow.db, http(s)://server, file:/path or databricks")
        return value

    @field_validator("model_name")
    @classmethod
    def _check_model_name(cls, value: str) -> str:
        if not MODEL_NAME_PATTERN.match(value):
            raise ValueError("use letters, digits, '-', '_' or '.', at most 64 characters")
        return value

    @field_validator("azure_subscription_id", "azure_client_id")
    @classmethod
    def _check_guid(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not GUID_PATTERN.match(value.strip()):
            raise ValueError("use a GUID such as 00000000-0000-0000-0000-000000000000")
        return value.strip().lower()

    @field_validator("azure_tenant_id")
    @classmethod
    def _check_tenant(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not TENANT_PATTERN.match(value.strip()):
            raise ValueError("use the tenant's GUID or its domain, such as contoso.onmicrosoft.com")
        return value.strip()

    @field_validator("azure_resource_group")
    @classmethod
    def _check_resource_group(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not RESOURCE_GROUP_PATTERN.match(value) or value.endswith("."):
            raise ValueError("use up to 90 letters, digits, '-', '_', '.', '(' or ')'")
        return value

    @field_validator("azure_workspace")
    @classmethod
    def _check_azure_workspace(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not AZURE_WORKSPACE_PATTERN.match(value):
            raise ValueError("use 3–33 letters, digits, '-' or '_', starting with a letter or digit")
        return value

    @field_validator("azure_client_secret")
    @classmethod
    def _check_secret(cls, value: SecretStr | None) -> SecretStr | None:
        return None if value is None or not value.get_secret_value() else value

    @property
    def tracking_uri(self) -> str:
        """The MLflow tracking URI in use: the configured one or SQLite in the workspace."""
        if self.mlflow_tracking_uri:
            return self.mlflow_tracking_uri
        return f"sqlite:///{self.workspace.mlflow_db}"

    @property
    def warehouse(self) -> str:
        """The warehouse URI in use: the configured one or the workspace's folder (file://)."""
        return self.workspace.warehouse_location

    @property
    def workspace(self) -> "Workspace":
        return Workspace(self.home, self.warehouse_uri)


def load_settings(**overrides) -> Settings:
    """Read the settings; a bad value raises ConfigError naming its variable and what it accepts."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            message = error["msg"].removeprefix("Value error, ")
            shown = "(hidden)" if "secret" in field else repr(error.get("input"))
            problems.append(f"{ENV_PREFIX}{field.upper()}: {message} (got {shown})")
        raise ConfigError("Invalid setting — " + "; ".join(problems)) from exc


@dataclass(frozen=True)
class Workspace:
    """Where each kind of state lives inside the workspace directory (and the warehouse URI,
    when tables and models live outside it)."""

    root: Path
    warehouse_uri: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "root", Path(self.root).expanduser().resolve())

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    @property
    def warehouse_location(self) -> str:
        """The URI Spark writes tables and models under: OPML_WAREHOUSE_URI or ``warehouse/``."""
        return (self.warehouse_uri or self.warehouse.as_uri()).rstrip("/")

    @property
    def uploads(self) -> Path:
        return self.root / "uploads"

    @property
    def mlflow_dir(self) -> Path:
        return self.root / "mlflow"

    @property
    def mlflow_db(self) -> Path:
        return self.mlflow_dir / "mlflow.db"

    @property
    def mlflow_artifacts(self) -> Path:
        return self.mlflow_dir / "artifacts"

    @property
    def deployments(self) -> Path:
        return self.root / "deployments"

    @property
    def usage(self) -> Path:
        return self.root / "usage"

    @property
    def spark_local(self) -> Path:
        return self.root / "spark-tmp"

    @property
    def azure(self) -> Path:
        """The uploaded workspace config.json (never secrets) and Azure sync state."""
        return self.root / "azure"

    @property
    def envs(self) -> Path:
        """Python environments opml builds (the one serving azureml-local)."""
        return self.root / "envs"

    def ensure(self) -> "Workspace":
        """Create the directories (idempotent) and return self."""
        for path in (self.warehouse, self.uploads, self.mlflow_dir, self.mlflow_artifacts,
                     self.deployments, self.usage, self.spark_local):
            path.mkdir(parents=True, exist_ok=True)
        return self
