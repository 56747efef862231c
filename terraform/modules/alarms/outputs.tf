output "topic_arn" {
  description = "ARN of the SNS topic that every alarm notifies; subscribe paging tools here."
  value       = aws_sns_topic.this.arn
}

output "alarm_names" {
  description = "Names of all alarms of the module."
  value = concat(
    [for alarm in aws_cloudwatch_metric_alarm.dlq_messages : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.oldest_message_age : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.function_errors : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.function_throttles : alarm.alarm_name],
    aws_cloudwatch_metric_alarm.aurora_capacity[*].alarm_name,
  )
}
