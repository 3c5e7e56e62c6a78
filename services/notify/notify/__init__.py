"""Notify: turn a run summary or a failure into a message a person can act on."""
