/*
 * quality: G.107 E-model R and MOS for G.711; see quality.h for the
 * formulas and where each constant comes from.
 */
#include <math.h>

#include "media/quality.h"

#define R_DEFAULT 93.2 /* G.107 R with all defaults: Ro - Is */
#define IE_G711 0.0    /* G.113 Appendix I */
#define BPL_G711 25.1  /* with packet loss concealment */
#define BURST_R 1.0    /* random loss */
#define ID_KNEE 177.3  /* ms: where Id's slope grows (Cole & Rosenbluth) */

/* x, or lo when x is below lo or NaN. */
static double at_least(double x, double lo)
{
	return x >= lo ? x : lo;
}

/* Delay impairment Id for a one-way delay of d ms. */
static double id_of(double d)
{
	double id = 0.024 * d;

	if (d >= ID_KNEE)
		id += 0.11 * (d - ID_KNEE);
	return id;
}

/* Effective equipment impairment for ppl % of packets lost. */
static double ie_eff_of(double ppl)
{
	return IE_G711 + (95.0 - IE_G711) * ppl / (ppl / BURST_R + BPL_G711);
}

double quality_r(double loss_pct, double delay_ms)
{
	double ppl = fmin(at_least(loss_pct, 0.0), 100.0);
	double d = at_least(delay_ms, 0.0);

	return R_DEFAULT - id_of(d) - ie_eff_of(ppl);
}

double quality_mos(double r)
{
	double mos;

	if (!(r > 0.0))
		return 1.0;
	if (r >= 100.0)
		return 4.5;
	mos = 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6;
	return mos < 1.0 ? 1.0 : mos;
}
