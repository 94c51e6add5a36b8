"""(being written)"""

TASKS = ()
KOREAN: dict[str, str] = {}
