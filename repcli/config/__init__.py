"""The config: YAML -> typed, validated, frozen objects.

`model` holds the settings dataclasses (plain data); `yaml_safe` reads YAML within limits;
`loader` expands `${VAR}` and builds and checks the dataclasses. All
point one way: nothing here imports a source type or the analysis. A config with sources is
loaded with the registry's types: `repcli.sources.registry.load_config` / `parse_config`.
"""

from repcli.config.loader import (
    APP_NAME,
    CONFIG_ENV,
    LOCAL_CONFIG,
    SourceTypes,
    build_dataclass,
    default_store_path,
    expand,
    find_config,
    load_config,
    parse_config,
    user_config_path,
)
from repcli.config.model import (
    ALERT_RULES,
    DEFAULT_SLA,
    FORMATS,
    AlertRule,
    AlertRuleName,
    AlertSettings,
    AnalysisSettings,
    AutoApproveRule,
    Config,
    OrdersSettings,
    OutputSettings,
    SignalSettings,
    SlaHours,
    SourceConfig,
    Thresholds,
    WorkflowSettings,
)
from repcli.config.yaml_safe import (
    MAX_ALIAS_NODES,
    MAX_CONFIG_BYTES,
    MAX_DEPTH,
    parse_yaml,
    read_capped,
    read_yaml_file,
)

__all__ = [
    "ALERT_RULES",
    "APP_NAME",
    "CONFIG_ENV",
    "DEFAULT_SLA",
    "FORMATS",
    "LOCAL_CONFIG",
    "MAX_ALIAS_NODES",
    "MAX_CONFIG_BYTES",
    "MAX_DEPTH",
    "AlertRule",
    "AlertRuleName",
    "AlertSettings",
    "AnalysisSettings",
    "AutoApproveRule",
    "Config",
    "OrdersSettings",
    "OutputSettings",
    "SignalSettings",
    "SlaHours",
    "SourceConfig",
    "SourceTypes",
    "Thresholds",
    "WorkflowSettings",
    "build_dataclass",
    "default_store_path",
    "expand",
    "find_config",
    "load_config",
    "parse_config",
    "parse_yaml",
    "read_capped",
    "read_yaml_file",
    "user_config_path",
]
