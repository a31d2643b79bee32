/** The runbook's credit packages. Credits always equal Stars x the configured rate. */
export type CreditPackage = {
  readonly id: string;
  readonly starsAmount: number;
  readonly credits: number;
  readonly priceUsdApprox: number;
};

const packageStars = [
  { id: "pkg_100", starsAmount: 10, priceUsdApprox: 0.2 },
  { id: "pkg_250", starsAmount: 25, priceUsdApprox: 0.5 },
  { id: "pkg_500", starsAmount: 50, priceUsdApprox: 1.0 },
  { id: "pkg_1000", starsAmount: 100, priceUsdApprox: 2.0 },
] as const;

export const defaultStarsToCreditsRate = 10;

export const creditPackages = (starsToCreditsRate: number = defaultStarsToCreditsRate): readonly CreditPackage[] =>
  packageStars.map((p) => ({ ...p, credits: p.starsAmount * starsToCreditsRate }));

export const findPackageById = (
  packageId: string,
  starsToCreditsRate: number = defaultStarsToCreditsRate,
): CreditPackage | undefined => creditPackages(starsToCreditsRate).find((p) => p.id === packageId);

export const findPackageByStars = (
  starsAmount: number,
  starsToCreditsRate: number = defaultStarsToCreditsRate,
): CreditPackage | undefined => creditPackages(starsToCreditsRate).find((p) => p.starsAmount === starsAmount);

export const validStarsAmounts: readonly number[] = packageStars.map((p) => p.starsAmount);
export const validPackageIds: readonly string[] = packageStars.map((p) => p.id);
