package sandbox

// The sandbox JWT app's key pair. SANDBOX-ONLY TEST KEY: it was generated
// for the sandbox, is public in this repository and is accepted by nothing
// but the sandbox. It is not a secret and must never be registered on a
// real Coze app. `cozeauth sandbox --write-key FILE` writes it so that the
// JWT login can be tried offline (and the wizard's --sandbox uses it as it is).
const (
	// JWTPublicKeyID is the sandbox JWT app's public key id (the "kid").
	JWTPublicKeyID = "sandbox-test-kid-0001"

	// JWTPrivateKeyPEM is the SANDBOX-ONLY private key (PKCS#8).
	JWTPrivateKeyPEM = `-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCoZpiNGkglR4Qe
UmGCOHNPr/YXrkOX+BSj6nRjrfVgkvwHQV4ZAzZ+Yi/BUc9w2CiRhP8itihEYZdY
cVEk10Y1v+Js28UJ9t5yFMnGkb/o6kp0SgfpSaqzlj2r4/YXg0WD7v10dWV+IrcG
NIDUSg4AD5khQMCZJ8j95lyH2DEVn24yR1To8Zcl3fiaQY/HM4Uo/Bcz/W6spXAo
S/wzar99guv2mWXJdxiMM9gQuKFWI6JimnAJGQJWSzyrr51MsaTAt473BHonY9bU
XKs1zqLNgYalWsS67TS3zJqQRIVev4BfoAd7YYhQg/OvTYAVq7FwHsrKsepy/c+3
DDCHsWHXAgMBAAECggEAFrSyp//dr20bosz/ycObxKhYmavNAF4aRlmz9Ma9WZan
9cB6FAxLWjIZ90p1GmWC3tAcaI1AE6xG8E1jIAEIvfGP8ZaWVDgdmSs1Y5k+U4TX
oiNjOrDMm+dLjHQxt8zi4B2mvf+gPignHmaQ4k7T4W04+/NTpLLpFlbrrgNX5u6+
uY3v/GuHWdLXqM3q6SQefwtulODCKwSF9y3R403WUSSykt7nsPQZWxxv3Dykk0Gr
u1LafMry1UvyAPw0rw1wpQ+/SvVisnKehDoXDqGeufrL8vaPiDWDMQsfJUtEsaqE
9em5ljwmnQy4Suy9Q9zzFzJ2ICvLpoI7xLprYEDFvQKBgQDSMk6Qzd7klLbgJd1k
JuvwLxC4+Vyfgr35j0W695i5hxOgYR7fyk+Ey0qHFyUYUY/zRibzd1IU28k5P8Wx
zSdrKxi/zhyixMWLBu7ADxcmUT0mpy4F3oY43m1r1sc4qbkoskq+ueFeKwYekXFV
h++CN/EjjHMtZfvlxbHbmqqZwwKBgQDNGLyt9jUT9NmVtJaWd+/eeGSt7twca7Dw
2TNrFA0xSfiyfGtmHlVMa+cZ0vVNbY9LmMbP2ylsrpbVqgzIBBtC4k8daxWJxwWT
7fmUC1WRu4ndBejhuCxOcW4gPdv59D9LmSZO4mPZoYUm9G5RcaRI8PPGXk2xS1sb
UxSJxywCXQKBgE4QyQUWsLWMVe8hoPvVSMNHd5p7Yl8Lm6rX/znVQy+Eb1GdQG41
IRtctS0+91P01tWvNEAwDJgamL1eZfoHC6DNvL9fuVrqYcOkq39BG4ProB5+8KTV
ZFwyn8jxV8Q/pLjsnr3/IyhqKjeoJMNzXQyr4i8ltpEh01AfAFNjOgEpAoGBAMYO
KE45nuIJpYCK5oyhf5KvYlIQgqAzYqgCp0O1FlRNoYsC2VfA3RAydvYaIOZHcYRI
IV0hv+wC4Qet8i/Iv2akUlAPU7o75egHe+b51wUnPCejCFPI3YhWw0kBU4cZ1XG0
kCjHODM2ZfXLPykI++OwQ0iBUrduFKnbXc769kXFAoGBAJONntInWspFxWVoXN70
fwpEdph8ss6hRG3TkckEOtb6+tV5Ok3suY2iFLL1P+9w7USAbS3nAgSvAh3eBqYK
nvOCCdmnXhdXCom56EjIQBUWOxJQi3lGDThH8ydSAt8nLAOCFJJuL0VHCucSmL1k
rdZcsEelWoHS0QaS3c8US+N3
-----END PRIVATE KEY-----
`

	// JWTPublicKeyPEM is its public half, registered on the sandbox JWT app.
	JWTPublicKeyPEM = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqGaYjRpIJUeEHlJhgjhz
T6/2F65Dl/gUo+p0Y631YJL8B0FeGQM2fmIvwVHPcNgokYT/IrYoRGGXWHFRJNdG
Nb/ibNvFCfbechTJxpG/6OpKdEoH6Umqs5Y9q+P2F4NFg+79dHVlfiK3BjSA1EoO
AA+ZIUDAmSfI/eZch9gxFZ9uMkdU6PGXJd34mkGPxzOFKPwXM/1urKVwKEv8M2q/
fYLr9pllyXcYjDPYELihViOiYppwCRkCVks8q6+dTLGkwLeO9wR6J2PW1FyrNc6i
zYGGpVrEuu00t8yakESFXr+AX6AHe2GIUIPzr02AFauxcB7KyrHqcv3Ptwwwh7Fh
1wIDAQAB
-----END PUBLIC KEY-----
`
)
