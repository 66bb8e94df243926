"""Requests: models, lifecycle, intake, service, queries, presentation and routes."""
