// PLACEHOLDER: its owner replaces this file (issue 18).
#include "signaling/sip/digest_client.h"
