# oneDNN, as the offline speech engine needs it (see config.toml): CTranslate2 calls only
# oneDNN's GEMM functions and its convolution (with reorders), for inference.
set(ONEDNN_ENABLE_PRIMITIVE "CONVOLUTION;REORDER" CACHE STRING "")
set(ONEDNN_ENABLE_WORKLOAD "INFERENCE" CACHE STRING "")
set(ONEDNN_BUILD_GRAPH OFF CACHE BOOL "")
