"""grc: CRM workbooks for a network of group-accommodation centres."""

__version__ = "0.1.0"
