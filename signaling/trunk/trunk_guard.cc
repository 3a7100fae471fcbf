// PLACEHOLDER: its owner replaces this file (issue 18).
#include "signaling/trunk/trunk_guard.h"
