"""Tests of the shared plumbing: errors, crypto, health, limits, migrations, the command line, the scheduler, charts."""
