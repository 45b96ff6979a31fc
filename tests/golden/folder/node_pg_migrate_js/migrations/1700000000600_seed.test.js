// a test of the seed, no migration
