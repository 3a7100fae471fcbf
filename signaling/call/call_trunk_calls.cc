// PLACEHOLDER: its owner replaces this file (issue 18): calls from trunks.
#include "signaling/call/call_controller.h"
