using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Portal.IntegrationTests;

/// <summary>
/// A small but real OpenID Connect provider on loopback: discovery, JWKS, an authorization endpoint
/// that signs in <see cref="NextUser"/> without asking, and a token endpoint that checks the client
/// secret and the PKCE verifier and answers with an RS256-signed id_token carrying the nonce.
/// </summary>
public sealed class OidcProvider : IAsyncDisposable
{
    public const string ClientId = "portal";
    public const string ClientSecret = "client-s3cret-for-tests";

    private readonly RSA _key = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, Grant> _grants = new();
    private WebApplication? _app;

    public Uri Authority { get; private set; } = null!;

    /// <summary>Who the next authorization signs in: claims of the id_token besides iss/aud/nonce.</summary>
    public Dictionary<string, object> NextUser { get; set; } = [];

    /// <summary>Sign id_tokens with a key the JWKS does not publish (a forged token).</summary>
    public bool SignWithUnknownKey { get; set; }

    private sealed record Grant(string Nonce, string Challenge, string RedirectUri, Dictionary<string, object> User);

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Issuer,
            ["authorization_endpoint"] = Issuer + "/authorize",
            ["token_endpoint"] = Issuer + "/token",
            ["jwks_uri"] = Issuer + "/jwks",
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
        }));
        _app.MapGet("/jwks", () =>
        {
            var p = _key.ExportParameters(false);
            return Results.Json(new { keys = new[] { new { kty = "RSA", use = "sig", alg = "RS256", kid = "k1", n = Base64UrlEncoder.Encode(p.Modulus), e = Base64UrlEncoder.Encode(p.Exponent) } } });
        });
        _app.MapGet("/authorize", (HttpRequest request) =>
        {
            var q = request.Query;
            if (q["client_id"] != ClientId || q["response_type"] != "code" || q["code_challenge_method"] != "S256")
            {
                return Results.BadRequest("bad authorization request");
            }

            var code = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            _grants[code] = new Grant(q["nonce"]!, q["code_challenge"]!, q["redirect_uri"]!, new Dictionary<string, object>(NextUser));
            return Results.Redirect($"{q["redirect_uri"]}?code={code}&state={Uri.EscapeDataString(q["state"]!)}");
        });
        _app.MapPost("/token", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            if (form["client_id"] != ClientId || form["client_secret"] != ClientSecret || !_grants.TryRemove(form["code"].ToString(), out var grant)
                || grant.RedirectUri != form["redirect_uri"]
                || Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(form["code_verifier"].ToString()))) != grant.Challenge)
            {
                return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
            }

            var claims = new Dictionary<string, object>(grant.User) { ["nonce"] = grant.Nonce };
            var signingKey = SignWithUnknownKey ? new RsaSecurityKey(RSA.Create(2048)) { KeyId = "k1" } : new RsaSecurityKey(_key) { KeyId = "k1" };
            var idToken = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Issuer = Issuer,
                Audience = ClientId,
                Claims = claims,
                IssuedAt = DateTime.UtcNow,
                Expires = DateTime.UtcNow.AddMinutes(5),
                SigningCredentials = new SigningCredentials(signingKey, SecurityAlgorithms.RsaSha256),
            });
            return Results.Json(new { access_token = "at-" + Guid.NewGuid().ToString("N"), token_type = "Bearer", expires_in = 300, id_token = idToken });
        });
        await _app.StartAsync();
        Authority = new Uri(_app.Urls.First());
    }

    private string Issuer => Authority.ToString().TrimEnd('/');

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        _key.Dispose();
    }
}
