"""Interfaces around the pipeline: Prefect flows, the CLI and the review web app."""
