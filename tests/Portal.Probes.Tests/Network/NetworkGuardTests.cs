using System.Net;
using Portal.Probes.Contract;
using Portal.Probes.Network;

namespace Portal.Probes.Tests.Network;

public sealed class NetworkGuardTests
{
    private static readonly ProbeTarget Strict = ProbeHarness.LocalTarget(TargetKind.Host) with { AllowLoopback = false, AllowPrivate = false };
    private static readonly ProbeTarget Lenient = Strict with { AllowLoopback = true, AllowPrivate = true };

    [Theory]
    [InlineData("169.254.169.254")]
    [InlineData("169.254.170.2")]
    [InlineData("100.100.100.200")]
    [InlineData("fd00:ec2::254")]
    [InlineData("169.254.1.1")]
    [InlineData("fe80::1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("224.0.0.1")]
    public void Check_MetadataLinkLocalAndNonUnicast_AreRefusedEvenWhenEverythingIsAllowed(string address) =>
        Assert.NotNull(NetworkGuard.Check(IPAddress.Parse(address), Lenient));

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.1.2.3")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("10.0.0.5")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("100.64.0.1")]
    [InlineData("fd12:3456::1")]
    public void Check_LoopbackAndPrivate_OnlyWhereTheTargetAllows(string address)
    {
        Assert.NotNull(NetworkGuard.Check(IPAddress.Parse(address), Strict));
        Assert.Null(NetworkGuard.Check(IPAddress.Parse(address), Lenient));
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("2001:4860:4860::8888")]
    public void Check_PublicAddresses_AreAllowed(string address) =>
        Assert.Null(NetworkGuard.Check(IPAddress.Parse(address), Strict));

    [Fact]
    public async Task Resolve_NameThatResolvesToARefusedAddress_IsRefused()
    {
        var guard = new NetworkGuard((_, _) => Task.FromResult(new[] { IPAddress.Parse("169.254.169.254") }));

        var ex = await Assert.ThrowsAsync<AddressRefusedException>(() => guard.ResolveAllowedAsync("innocent.example", Lenient, default));

        Assert.Contains("metadata", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_MixedAnswers_KeepsOnlyTheAllowedOnes()
    {
        var guard = new NetworkGuard((_, _) => Task.FromResult(new[] { IPAddress.Parse("127.0.0.1"), IPAddress.Parse("8.8.4.4") }));

        var allowed = await guard.ResolveAllowedAsync("mixed.example", Strict, default);

        Assert.Equal([IPAddress.Parse("8.8.4.4")], allowed);
    }

    [Fact]
    public async Task Resolve_Localhost_IsLoopbackAndFollowsTheTargetRule()
    {
        var guard = new NetworkGuard();

        await Assert.ThrowsAsync<AddressRefusedException>(() => guard.ResolveAllowedAsync("localhost", Strict, default));
        Assert.All(await guard.ResolveAllowedAsync("localhost", Lenient, default), a => Assert.True(IPAddress.IsLoopback(a)));
    }

    [Fact]
    public async Task Resolve_NameThatDoesNotExist_IsRefusedWithTheDnsReason()
    {
        var ex = await Assert.ThrowsAsync<AddressRefusedException>(
            () => new NetworkGuard().ResolveAllowedAsync("no-such-host.invalid", Lenient, default));

        Assert.Contains("DNS", ex.Message, StringComparison.Ordinal);
    }
}
