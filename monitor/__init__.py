"""press-monitor: watch independent media for mandated labels, statements, appeals and paywalls."""

__version__ = "0.1.0"
USER_AGENT = f"press-monitor/{__version__} (+https://github.com/press-monitor/press-monitor)"
