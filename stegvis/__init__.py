"""Stegvis: software for job-mentoring programs for people new to Sweden."""

__version__ = "0.1.0"
