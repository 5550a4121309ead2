"""cablemgr: one local record for a cyber-diplomacy unit."""

__version__ = "0.1.0"
