"""Settings shared by both services (each service extends CommonSettings)."""
from shared.config.settings import CommonSettings, service_env_files

__all__ = ["CommonSettings", "service_env_files"]
