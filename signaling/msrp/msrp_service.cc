// PLACEHOLDER (issue 17): implemented by its helper; see the header.
#include "signaling/msrp/msrp_service.h"
