"""aedemo's static-site generator: data → DBN-pretrained autoencoder → ONNX → page."""

import os

# The net's matrices are small (batches of 64 to 100 rows): OpenBLAS threads cost more in
# hand-offs than they gain, spin against each other on a busy machine, and a thread count
# that differs between machines changes float32 summation order and so the weights. One
# thread keeps training fast and the same seed's weights identical everywhere. Takes effect
# when builder is imported before numpy; set OPENBLAS_NUM_THREADS to override.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
