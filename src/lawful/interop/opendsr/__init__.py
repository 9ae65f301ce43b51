"""OpenDSR 2.0 (and its former name, OpenGDPR 1.0), as the processor: the clients we process
data for (GDPR Art. 28) send their people's access, portability and erasure requests to us,
follow them, cancel them while pending, and get signed status callbacks. A request runs the
engine on that client's datasets only: the controller's instruction (Art. 28(3)(a))."""
