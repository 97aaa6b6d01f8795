"""osintdesk pipeline stages: plain typed functions, no orchestration inside."""

__version__ = "0.1.0"
