"""Chinese text: normalisation, segmentation, codebook coding, audit and validation."""
