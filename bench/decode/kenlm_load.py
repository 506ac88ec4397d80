"""Load an ARPA file with kenlm 0.3.0's Python module; print the time and the resident
memory it added (VmRSS after minus before, and the peak likewise), as lm_load does.

    python kenlm_load.py LM.arpa
"""

import json
import sys
import time

import kenlm


def status_bytes(key: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    rss, peak = status_bytes("VmRSS:"), status_bytes("VmHWM:")
    start = time.perf_counter()
    model = kenlm.Model(sys.argv[1], kenlm.Config())
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "rss_bytes": status_bytes("VmRSS:") - rss,
                      "peak_rss_bytes": status_bytes("VmHWM:") - peak, "order": model.order}))


if __name__ == "__main__":
    main()
