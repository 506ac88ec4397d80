"""Run a command (output discarded) and print its wall time as {"seconds": ...}.

    python timed.py COMMAND [ARGS...]
"""

import json
import subprocess
import sys
import time

start = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(json.dumps({"seconds": time.perf_counter() - start}))
