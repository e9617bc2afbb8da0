"""The plots layer: matplotlib figures drawn from result files only (``sim plot``)."""
