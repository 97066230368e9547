"""aedemo's static-site generator: data → DBN-pretrained autoencoder → ONNX → page."""

import os

# One BLAS thread. The net's matrices are small (batches of 64 to 100 rows) and everything
# but the matrix products runs on one core anyway: on an idle 2-core machine a second
# OpenBLAS thread made a fine-tuning epoch 18 % faster (make bench, 2026-12-01), but with
# one core busy it made it 2.6 times slower, its threads waiting on each other. A thread
# count that follows the machine would also change float32 summation order, and so the
# weights, from one machine to the next. Takes effect when builder is imported before
# numpy; set OPENBLAS_NUM_THREADS to override.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
