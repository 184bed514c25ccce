"""PDF signing and validation on pyHanko (imports nothing from backend/)."""
