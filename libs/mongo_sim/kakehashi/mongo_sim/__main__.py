"""`python -m kakehashi.mongo_sim --port N`."""

import sys

from kakehashi.mongo_sim.standalone import main

sys.exit(main())
