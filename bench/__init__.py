"""`make bench`: aedemo's speed and quality, each measured beside its rival in one run.

Modules:
  - `common`    statistics, multiply-accumulate counts, thread settings, machine facts;
  - `torch_ref` the same net, batches, Adam and schedule in PyTorch (the rival);
  - `worker`    one measurement in its own process (`python -m bench.worker JOB`);
  - `browser`   the page in headless Debian chromium (load time, decode latency, bytes);
  - `report`    the Markdown table and `build/bench.json`;
  - `__main__`  the whole run: `python -m bench [--quick] [--data DIR] ...`.
"""
