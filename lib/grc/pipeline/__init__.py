"""The yearly pipeline (`integrate`) and the `grc run` orchestrator (`run`)."""
