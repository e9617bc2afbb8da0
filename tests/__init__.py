"""The test suite; its folders mirror the packages of sim/ (docs/development.md, Tests and tiers)."""
