/*
 * ctl_cmds_calls: the commands on calls.  Every one names its call by
 * handle ("c7"): there is no current call.  Rows as described in
 * ctl_cmds.h; the handlers are in app/daemon_calls.c.
 */
#ifndef SIPUAD_CTL_CMDS_CALLS_H
#define SIPUAD_CTL_CMDS_CALLS_H

#define CTL_ARG_CALL_ CTL_ARG("call", STRING, 1, "call handle, e.g. c1")

#define CTL_CMDS_CALLS(X)                                                                          \
	X(call, "call", "call TO [--account A] [--header 'NAME: VALUE']...",                       \
	  "Call TO (send an INVITE); replies with the call's handle at once, the outcome "         \
	  "comes as call.state events.",                                                           \
	  daemon_calls_call,                                                                       \
	  CTL_ARG("to", STRING, 1, "sip: URI to call, e.g. sip:bob@127.0.0.1:5062;transport=tcp"), \
	  CTL_ARG("account", STRING, 0, "the account to call from"),                               \
	  CTL_ARG("header", STRINGS, 0,                                                            \
		  "extra header field for the INVITE, \"Name: value\"; may be repeated"))          \
	X(answer, "answer", "answer CALL", "Answer a ringing incoming call (200 OK with SDP).",    \
	  daemon_calls_answer, CTL_ARG_CALL_)                                                      \
	X(reject, "reject", "reject CALL [CODE]",                                                  \
	  "Reject a ringing incoming call with CODE (400-699; default [call] reject_code).",       \
	  daemon_calls_reject, CTL_ARG_CALL_, CTL_ARG("code", INT, 0, "SIP status code 400..699")) \
	X(hangup, "hangup", "hangup CALL",                                                         \
	  "End a call in any state: BYE once answered, CANCEL while calling out, 603 to "          \
	  "an unanswered incoming call.",                                                          \
	  daemon_calls_hangup, CTL_ARG_CALL_)                                                      \
	X(hold, "hold", "hold CALL",                                                               \
	  "Put an answered call on hold (re-INVITE with a=sendonly); the outcome comes as "        \
	  "events.",                                                                               \
	  daemon_calls_hold, CTL_ARG_CALL_)                                                        \
	X(resume, "resume", "resume CALL",                                                         \
	  "Take a call off hold (re-INVITE with a=sendrecv); the outcome comes as events.",        \
	  daemon_calls_resume, CTL_ARG_CALL_)                                                      \
	X(calls, "calls", "calls",                                                                 \
	  "List the calls: handle, direction, peer, state, duration and codec.",                   \
	  daemon_calls_list, CTL_NOARGS)                                                           \
	X(call_info, "call-info", "call-info CALL",                                                \
	  "Everything about one call: dialog (Call-ID, tags, URIs, route set, CSeqs), "            \
	  "SDP both ways, codec, RTP addresses, hold state.",                                      \
	  daemon_calls_info, CTL_ARG_CALL_)                                                        \
	X(play, "play", "play CALL [FILE] [--loop] [--stop]",                                      \
	  "Play a WAV file (any rate, mono or stereo) to a call instead of its source; "           \
	  "play.done tells the end. --stop ends a play.",                                          \
	  daemon_calls_play, CTL_ARG_CALL_, CTL_ARG("file", STRING, 0, "path of a WAV file"),      \
	  CTL_ARG("loop", FLAG, 0, "start the file again at its end"),                             \
	  CTL_ARG("stop", FLAG, 0, "stop the play going"))                                         \
	X(record, "record", "record CALL start|stop [PATH]",                                       \
	  "Record a call to a stereo WAV (left: received, right: sent); without PATH in "          \
	  "[media] record_dir. record.done tells the end.",                                        \
	  daemon_calls_record, CTL_ARG_CALL_,                                                      \
	  CTL_ARG("action", STRING, 1, "start or stop"),                                           \
	  CTL_ARG("path", STRING, 0, "the WAV file to write"))                                     \
	X(dtmf, "dtmf", "dtmf CALL DIGITS [--duration MS]",                                        \
	  "Send DTMF digits (0-9 * # A-D) as RFC 4733 events, or as SIP INFO when the peer "       \
	  "took no telephone-event.",                                                              \
	  daemon_calls_dtmf, CTL_ARG_CALL_, CTL_ARG("digits", STRING, 1, "e.g. 123#"),             \
	  CTL_ARG("duration", INT, 0, "milliseconds per digit, 40..5000 (default 100)"))

#endif
