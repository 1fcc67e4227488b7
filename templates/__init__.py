"""Jinja2 templates; ships in the wheel as ``monitor.templates``."""
