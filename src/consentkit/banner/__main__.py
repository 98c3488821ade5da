"""`python -m consentkit.banner`: print the gzipped size of banner.js and banner.css (budget: 8 KB)."""

from consentkit.banner.assets import main

main()
