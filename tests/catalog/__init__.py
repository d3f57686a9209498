"""Element sets (satveto.catalog): OMM and TLE readers, the gpconf corpus, the CUI merge, the demo
catalog and the catalog sources."""
