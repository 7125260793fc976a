using FluentAssertions;
using ImageOperator.Api;
using ImageOperator.Api.V1Alpha1;
using Xunit;

namespace ImageOperator.Tests.Api;

public sealed class ConditionsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 10, 0, 0, 250, TimeSpan.Zero);

    [Fact]
    public void Set_adds_a_condition_with_the_time_truncated_to_seconds()
    {
        var status = new ImageImportStatus();

        status.Set(ConditionTypes.Ready, ConditionStatus.False, ConditionReasons.InProgress, "copying", 3, T0).Should().BeTrue();

        var condition = status.Find(ConditionTypes.Ready)!;
        condition.Status.Should().Be("False");
        condition.Reason.Should().Be("InProgress");
        condition.Message.Should().Be("copying");
        condition.ObservedGeneration.Should().Be(3);
        condition.LastTransitionTime.Should().Be(new DateTime(2026, 11, 23, 10, 0, 0, DateTimeKind.Utc));
        condition.LastTransitionTime.Kind.Should().Be(DateTimeKind.Utc);
    }

    [Fact]
    public void Same_status_with_new_reason_keeps_the_transition_time()
    {
        var status = new ImageImportStatus();
        status.Set(ConditionTypes.Ready, ConditionStatus.False, ConditionReasons.InProgress, "copying", 1, T0);

        var changed = status.Set(ConditionTypes.Ready, ConditionStatus.False, ConditionReasons.SourceNotFound, "no object", 2, T0.AddMinutes(5));

        changed.Should().BeTrue();
        var condition = status.Find(ConditionTypes.Ready)!;
        condition.Reason.Should().Be(ConditionReasons.SourceNotFound);
        condition.Message.Should().Be("no object");
        condition.ObservedGeneration.Should().Be(2);
        condition.LastTransitionTime.Should().Be(T0.UtcDateTime.AddMilliseconds(-250));
    }

    [Fact]
    public void Status_change_moves_the_transition_time()
    {
        var status = new ImageExportStatus();
        status.Set(ConditionTypes.Ready, ConditionStatus.False, ConditionReasons.InProgress, "writing", 1, T0);

        status.Set(ConditionTypes.Ready, ConditionStatus.True, ConditionReasons.Succeeded, "verified", 1, T0.AddMinutes(5));

        status.Find(ConditionTypes.Ready)!.LastTransitionTime.Should().Be(new DateTime(2026, 11, 23, 10, 5, 0, DateTimeKind.Utc));
        status.IsTrue(ConditionTypes.Ready).Should().BeTrue();
    }

    [Fact]
    public void Setting_the_same_values_again_reports_no_change()
    {
        var status = new CustomImageStatus();
        status.Set(ConditionTypes.Ready, ConditionStatus.True, ConditionReasons.Available, "", 4, T0);

        status.Set(ConditionTypes.Ready, ConditionStatus.True, ConditionReasons.Available, "", 4, T0.AddHours(1)).Should().BeFalse();

        status.Conditions.Should().ContainSingle().Which.LastTransitionTime.Should().Be(T0.UtcDateTime.AddMilliseconds(-250));
    }

    [Fact]
    public void Conditions_of_different_types_coexist_and_can_be_removed()
    {
        var status = new CustomImageStatus();
        status.Set(ConditionTypes.Ready, ConditionStatus.True, ConditionReasons.Available, "", 1, T0);
        status.Set(ConditionTypes.Exporting, ConditionStatus.True, ConditionReasons.InProgress, "1 export", 1, T0);

        status.Conditions.Select(c => c.Type).Should().Equal("Ready", "Exporting");
        status.Remove(ConditionTypes.Exporting).Should().BeTrue();
        status.Remove(ConditionTypes.Exporting).Should().BeFalse();
        status.IsTrue(ConditionTypes.Exporting).Should().BeFalse();
        status.Find(ConditionTypes.Ready).Should().NotBeNull();
    }

    [Theory]
    [InlineData("true")]
    [InlineData("")]
    [InlineData("Yes")]
    public void Set_refuses_a_status_the_api_server_would_refuse(string conditionStatus)
    {
        var status = new CustomImageStatus();

        var set = () => status.Set(ConditionTypes.Ready, conditionStatus, ConditionReasons.Available, "", 1, T0);

        set.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("conditionStatus");
    }

    [Fact]
    public void Set_refuses_an_empty_reason()
    {
        var set = () => new CustomImageStatus().Set(ConditionTypes.Ready, ConditionStatus.True, "", "", 1, T0);

        set.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("reason");
    }
}
