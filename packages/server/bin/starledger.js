#!/usr/bin/env node
// Committed so npm can link the bin at install time, before the build has produced dist/.
import "../dist/bin.js";
