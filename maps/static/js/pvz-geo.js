/* pvz-geo.js: geodesic circles on the WGS84 ellipsoid (Vincenty's direct formula) and the
 * longitude rule of the maps. Used by the planner HTML maps and the map UI (/map). */
(function (root) {
  "use strict";
  var A = 6378137.0;
  var F = 1 / 298.257223563;
  var B = A * (1 - F);
  var D2R = Math.PI / 180;
  /* Longitudes west of -100 degrees are drawn +360 (Chukotka beside the rest of Russia). */
  var UNWRAP_BELOW_LON = -100;

  function unwrapLon(lon) {
    return lon < UNWRAP_BELOW_LON ? lon + 360 : lon;
  }

  /* The point at geodesic distance s_m (metres) and azimuth az_deg from (lat, lon), WGS84,
   * by Vincenty's direct formula (sub-millimetre for distances of a few km).
   * Returns [lat, lon] in degrees; lon continues from the start (no wrapping). */
  function direct(lat, lon, azDeg, sM) {
    var alpha1 = azDeg * D2R;
    var sinA1 = Math.sin(alpha1), cosA1 = Math.cos(alpha1);
    var tanU1 = (1 - F) * Math.tan(lat * D2R);
    var cosU1 = 1 / Math.sqrt(1 + tanU1 * tanU1), sinU1 = tanU1 * cosU1;
    var sigma1 = Math.atan2(tanU1, cosA1);
    var sinAlpha = cosU1 * sinA1;
    var cos2Alpha = 1 - sinAlpha * sinAlpha;
    var uSq = cos2Alpha * (A * A - B * B) / (B * B);
    var bigA = 1 + uSq / 16384 * (4096 + uSq * (-768 + uSq * (320 - 175 * uSq)));
    var bigB = uSq / 1024 * (256 + uSq * (-128 + uSq * (74 - 47 * uSq)));
    var sigma = sM / (B * bigA), sigmaP, sinS, cosS, cos2Sm, iter = 0;
    do {
      cos2Sm = Math.cos(2 * sigma1 + sigma);
      sinS = Math.sin(sigma);
      cosS = Math.cos(sigma);
      var dSigma = bigB * sinS * (cos2Sm + bigB / 4 * (cosS * (-1 + 2 * cos2Sm * cos2Sm) -
        bigB / 6 * cos2Sm * (-3 + 4 * sinS * sinS) * (-3 + 4 * cos2Sm * cos2Sm)));
      sigmaP = sigma;
      sigma = sM / (B * bigA) + dSigma;
    } while (Math.abs(sigma - sigmaP) > 1e-12 && ++iter < 100);
    cos2Sm = Math.cos(2 * sigma1 + sigma);
    sinS = Math.sin(sigma);
    cosS = Math.cos(sigma);
    var x = sinU1 * sinS - cosU1 * cosS * cosA1;
    var lat2 = Math.atan2(sinU1 * cosS + cosU1 * sinS * cosA1,
      (1 - F) * Math.sqrt(sinAlpha * sinAlpha + x * x));
    var lambda = Math.atan2(sinS * sinA1, cosU1 * cosS - sinU1 * sinS * cosA1);
    var C = F / 16 * cos2Alpha * (4 + F * (4 - 3 * cos2Alpha));
    var L = lambda - (1 - C) * F * sinAlpha *
      (sigma + C * sinS * (cos2Sm + C * cosS * (-1 + 2 * cos2Sm * cos2Sm)));
    return [lat2 / D2R, lon + L / D2R];
  }

  /* A closed geodesic circle of radius r_m metres: n vertices [lat, lon] (first not repeated). */
  function circle(lat, lon, rM, n) {
    n = n || 64;
    var out = new Array(n);
    for (var k = 0; k < n; k++) out[k] = direct(lat, lon, 360 * k / n, rM);
    return out;
  }

  /* The geodesic distance in metres between two points on WGS84, by Vincenty's inverse
   * formula (sub-millimetre; nearly antipodal pairs, where it may not converge, fall back to
   * the last iterate, far from any distance this map measures). */
  function inverse(lat1, lon1, lat2, lon2) {
    var L = ((lon2 - lon1) % 360 + 540) % 360 - 180;
    L *= D2R;
    var U1 = Math.atan((1 - F) * Math.tan(lat1 * D2R));
    var U2 = Math.atan((1 - F) * Math.tan(lat2 * D2R));
    var sinU1 = Math.sin(U1), cosU1 = Math.cos(U1), sinU2 = Math.sin(U2), cosU2 = Math.cos(U2);
    var lambda = L, lambdaP, iter = 0, sinS, cosS, sigma, cos2A, cos2Sm, sinL, cosL;
    do {
      sinL = Math.sin(lambda); cosL = Math.cos(lambda);
      var t1 = cosU2 * sinL, t2 = cosU1 * sinU2 - sinU1 * cosU2 * cosL;
      sinS = Math.sqrt(t1 * t1 + t2 * t2);
      if (sinS === 0) return 0;
      cosS = sinU1 * sinU2 + cosU1 * cosU2 * cosL;
      sigma = Math.atan2(sinS, cosS);
      var sinA = cosU1 * cosU2 * sinL / sinS;
      cos2A = 1 - sinA * sinA;
      cos2Sm = cos2A !== 0 ? cosS - 2 * sinU1 * sinU2 / cos2A : 0;
      var C = F / 16 * cos2A * (4 + F * (4 - 3 * cos2A));
      lambdaP = lambda;
      lambda = L + (1 - C) * F * sinA *
        (sigma + C * sinS * (cos2Sm + C * cosS * (-1 + 2 * cos2Sm * cos2Sm)));
    } while (Math.abs(lambda - lambdaP) > 1e-12 && ++iter < 200);
    var uSq = cos2A * (A * A - B * B) / (B * B);
    var bigA = 1 + uSq / 16384 * (4096 + uSq * (-768 + uSq * (320 - 175 * uSq)));
    var bigB = uSq / 1024 * (256 + uSq * (-128 + uSq * (74 - 47 * uSq)));
    var dSigma = bigB * sinS * (cos2Sm + bigB / 4 * (cosS * (-1 + 2 * cos2Sm * cos2Sm) -
      bigB / 6 * cos2Sm * (-3 + 4 * sinS * sinS) * (-3 + 4 * cos2Sm * cos2Sm)));
    return B * bigA * (sigma - dSigma);
  }

  root.PvzGeo = { direct: direct, circle: circle, inverse: inverse, unwrapLon: unwrapLon,
    UNWRAP_BELOW_LON: UNWRAP_BELOW_LON };
})(window);
