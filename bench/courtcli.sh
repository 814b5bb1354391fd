#!/usr/bin/env bash
# Times `custodia report item` for an item with 1,000 custody events, through
# the CLI (in-process run(), the deployment opened from disk each time), and
# its two halves on an open deployment: reading the ledger (courtdata.Item:
# history, bundle with 1,000 inclusion proofs) and rendering the PDF
# (courtdoc.WriteItemPDF). The deployment holds the Metastasis case file and
# the generated 1,000-event item (2,075 events). Results: bench/courtcli.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local
nice go test ./cmd/custodia/ -run '^$' -bench 'ReportItem1000|CourtdataItem1000|ItemPDF1000' -benchtime 3x -count "${COUNT:-5}" -benchmem
