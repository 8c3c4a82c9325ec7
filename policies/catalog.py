"""Generated from components/catalog.py by `python -m mlplat.readme`: do not edit."""

EKS_STANDARD_SUPPORT = ["1.34", "1.35", "1.36"]
