// PLACEHOLDER (issue 17): implemented by its helper; see the header.
#include "signaling/msrp/file_store.h"
