"""The yearly pipeline (`integrate`) and the `grc run` orchestrator (`run`)."""


class PipelineError(Exception):
    """The run as a whole is refused (message in French)."""
