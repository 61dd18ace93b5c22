using Portal.Runbooks;
using Portal.Web.Api;
using Portal.Web.Auth;
using Portal.Web.Authoring;
using Portal.Web.Components;
using Portal.Web.Health;
using Portal.Web.Hosting;
using Portal.Web.Incidents;
using Portal.Web.Inventory;
using Portal.Web.Localization;
using Portal.Web.Observability;
using Portal.Web.Resilience;
using Portal.Web.Runs;
using Portal.Web.Triage;
using Serilog;

var builder = WebApplication.CreateBuilder(args);

// Serve MudBlazor's and wwwroot-assets/ files from a build output in every environment, not only
// in Development (scripts/run.sh runs the build output as Production). A published app has no
// manifest for this and serves its copied wwwroot/ instead.
builder.WebHost.UseStaticWebAssets();

builder.AddPortalLogging();
builder.Services.AddRunbooks(builder.Configuration.GetRequiredConnectionString("Portal"));
builder.Services.AddPortalResilience(builder.Configuration);
builder.Services.AddPortalDataProtection(builder.Configuration);
builder.Services.AddPortalAuth();
builder.Services.AddPortalOidc(builder.Configuration);
builder.Services.AddPortalInventory();
builder.Services.AddPortalTargetResilience(builder.Configuration);
builder.Services.AddPortalRuns(builder.Configuration);
builder.Services.AddPortalIncidents();
builder.Services.AddPortalAuthoring();
builder.Services.AddPortalTriage();
builder.Services.AddPortalRedis(builder.Configuration);
builder.Services.AddPortalHealthChecks();
builder.Services.AddPortalMetrics(builder.Configuration);
builder.Services.AddPortalLocalization();
builder.Services.AddPortalUi();
builder.Services.AddPortalHttps(builder.Configuration);
builder.Services.AddPortalRateLimits(builder.Configuration);
builder.Services.AddPortalCircuitLimits(builder.Configuration);
builder.Services.AddBadRequestProblems();
builder.Services.AddOpenApi();

var app = builder.Build();

app.UsePortalSecurityHeaders();

if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/error", createScopeForErrors: true);
}

// Browsers asking for a page that does not exist get the portal's own not-found page; API, hub
// and other callers keep their status codes and problem details.
app.UseWhen(
    context => HttpMethods.IsGet(context.Request.Method) && !context.Request.Path.StartsWithSegments("/api")
               && !context.Request.Path.StartsWithSegments("/hubs") && !context.Request.Path.StartsWithSegments("/health")
               && !context.Request.Path.StartsWithSegments("/metrics"),
    page => page.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true));
// Routing after the status-code pages, so a re-executed request (/not-found) is routed again; with
// the implicit routing at the front of the pipeline an unknown page answered a bare, empty 404.
app.UseRouting();
app.UseSerilogRequestLogging();
app.UseBadRequestProblems();
app.UsePortalLocalization();
app.UseAuthentication();
app.UseAuthorization();
app.UsePortalDegradedGate();
app.UseRateLimiter();
app.UseAntiforgery();

app.MapStaticAssets().AllowAnonymous();
app.MapOpenApi().RequireAuthorization(PortalRoles.Viewer);
app.MapPortalHealthChecks();
app.MapPortalMetrics();
app.MapCultureEndpoints();
app.MapAuthEndpoints();
app.MapOidcSignIn();
app.MapUserEndpoints();
app.MapRunbookApi();
app.MapRunbookAuthoringApi();
app.MapProbeRunApi();
app.MapRunOutputDownload();
app.MapInventoryApi();
app.MapIncidentApi();
app.MapTriageApi();
app.MapRunsHub();
// The portal's own Content-Security-Policy (UsePortalSecurityHeaders) says frame-ancestors 'none';
// Blazor's second CSP header (frame-ancestors 'self') would only add noise.
app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null);

app.Run();

/// <summary>Entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
