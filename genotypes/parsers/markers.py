"""Positions of well-known SNPs in each genome build.

The build markers are the ones the ``snps`` library and openSNP use to tell NCBI36, GRCh37 and
GRCh38 apart; the LDN catalogue SNPs add GRCh37/GRCh38 evidence. Pure data, no imports.
"""

# rsid -> (chromosome, {build: position})
BUILD_MARKERS: dict[str, tuple[str, dict[int, int]]] = {
    "rs3094315": ("1", {36: 742_429, 37: 752_566, 38: 817_186}),
    "rs11928389": ("3", {36: 50_908_372, 37: 50_927_009, 38: 50_889_578}),
    "rs2500347": ("1", {36: 143_649_677, 37: 144_938_320, 38: 148_946_169}),
    "rs964481": ("20", {36: 27_566_744, 37: 27_656_823, 38: 27_638_706}),
    "rs2341354": ("1", {36: 908_436, 37: 918_573, 38: 983_193}),
    "rs3850290": ("15", {36: 22_315_141, 37: 23_245_301, 38: 22_776_092}),
    "rs1329546": ("X", {36: 135_302_086, 37: 135_474_420, 38: 136_392_261}),
}

# Catalogue SNPs of the demo content (GRCh37 and GRCh38 only).
CATALOGUE_POSITIONS: dict[str, tuple[str, dict[int, int]]] = {
    "rs1799971": ("6", {37: 154_360_797, 38: 154_039_662}),
    "rs4680": ("22", {37: 19_951_271, 38: 19_963_748}),
    "rs1045642": ("7", {37: 87_138_645, 38: 87_509_329}),
    "rs2032582": ("7", {37: 87_160_618, 38: 87_531_302}),
    "rs4986790": ("9", {37: 120_475_302, 38: 117_713_024}),
    "rs4986791": ("9", {37: 120_475_602, 38: 117_713_324}),
}

KNOWN_POSITIONS: dict[str, tuple[str, dict[int, int]]] = {**CATALOGUE_POSITIONS, **BUILD_MARKERS}

# Length of chromosome 1 in each build, as written in VCF ##contig lines.
CHR1_LENGTHS: dict[int, int] = {36: 247_249_719, 37: 249_250_621, 38: 248_956_422}
