// PLACEHOLDER (issue 17, helper "chatlegs"): see the header.
#include "signaling/sdp/msrp_offer_answer.h"
