/*
 * quality: the estimated listening quality of a G.711 call, from the
 * figures the call measured, by the ITU-T G.107 E-model reduced to what
 * varies on a G.711 call, as RFC 3611 VoIP metrics reports and VoIP
 * monitors compute it:
 *
 *   R = 93.2 - Id - Ie,eff
 *   Ie,eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl)      G.107 (7-29)
 *            with G.711's Ie = 0, Bpl = 25.1 (packet loss concealment,
 *            G.113 Appendix I) and BurstR = 1 (random loss)
 *   Id = 0.024 d + 0.11 (d - 177.3) H(d - 177.3)              Cole &
 *            Rosenbluth's fit of G.107's delay terms; H(x) = 1 if x >= 0
 *   MOS = 1 + 0.035 R + R (R - 60) (100 - R) 7e-6             G.107 B.4
 *
 * 93.2 is G.107's R with every other parameter at its default.  Pure
 * functions: no state, nothing to free.
 */
#ifndef SIPUAD_QUALITY_H
#define SIPUAD_QUALITY_H

/*
 * R factor for G.711 from the packet loss percentage (0..100; negative
 * or NaN is taken as 0, above 100 as 100) and the one-way mouth-to-ear
 * delay in ms (the engine passes rtt/2 + jitter buffer delay + packet
 * time; negative or NaN is taken as 0).  93.2 at best; can go below 0
 * with heavy loss and long delay.
 */
double quality_r(double loss_pct, double delay_ms);

/*
 * MOS-CQE from R (G.107 B.4): 1 at or below R 0, 4.5 at or above 100; in
 * between the polynomial, raised to 1 where it dips below (R < 6.5).  NaN
 * is taken as R 0.
 */
double quality_mos(double r);

#endif
