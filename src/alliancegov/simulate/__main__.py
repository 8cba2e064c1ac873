"""``python -m alliancegov.simulate OUT_DIR``: write the bundled example waves."""

from alliancegov.simulate.exports import main

main()
